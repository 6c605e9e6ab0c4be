CREATE TABLE "cost_allocations" (
	"hour" timestamp with time zone NOT NULL,
	"id" bigserial PRIMARY KEY NOT NULL,
	"cluster" text NOT NULL,
	"kind" text NOT NULL,
	"node" text DEFAULT '' NOT NULL,
	"job_ref" integer,
	"job_id" text,
	"job_name" text,
	"user" text,
	"team" text,
	"project" text,
	"namespace" text,
	"gpu_model" text,
	"gpu_hours" double precision DEFAULT 0 NOT NULL,
	"cost" numeric(24, 10),
	"currency" text NOT NULL,
	"price_tier" text NOT NULL,
	"price_source" text NOT NULL,
	"service_name" text
);
--> statement-breakpoint
CREATE TABLE "cost_allocations_daily" (
	"day" timestamp with time zone NOT NULL,
	"id" bigserial PRIMARY KEY NOT NULL,
	"cluster" text NOT NULL,
	"kind" text NOT NULL,
	"node" text DEFAULT '' NOT NULL,
	"job_ref" integer,
	"job_id" text,
	"job_name" text,
	"user" text,
	"team" text,
	"project" text,
	"namespace" text,
	"gpu_model" text,
	"gpu_hours" double precision DEFAULT 0 NOT NULL,
	"cost" numeric(24, 10),
	"currency" text NOT NULL,
	"price_tier" text NOT NULL,
	"price_source" text NOT NULL,
	"service_name" text
);
--> statement-breakpoint
CREATE TABLE "cost_billing_applied" (
	"import_id" integer PRIMARY KEY NOT NULL,
	"imported_at" timestamp with time zone NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cost_node_hours" (
	"cluster" text NOT NULL,
	"node" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"instance_id" text,
	"instance_type" text,
	"gpu_model" text,
	"gpu_capacity" double precision NOT NULL,
	"present_minutes" integer NOT NULL,
	"cost" numeric(24, 10),
	"estimated_cost" numeric(24, 10),
	"billed" boolean NOT NULL,
	"currency" text NOT NULL,
	"price_tier" text NOT NULL,
	"price_source" text NOT NULL,
	"stale" boolean DEFAULT false NOT NULL,
	CONSTRAINT "cost_node_hours_cluster_node_hour_pk" PRIMARY KEY("cluster","node","hour")
);
--> statement-breakpoint
ALTER TABLE "cost_billing_applied" ADD CONSTRAINT "cost_billing_applied_import_id_billing_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."billing_imports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cost_allocations_cluster_hour_idx" ON "cost_allocations" USING btree ("cluster","hour");--> statement-breakpoint
CREATE INDEX "cost_allocations_daily_cluster_day_idx" ON "cost_allocations_daily" USING btree ("cluster","day");--> statement-breakpoint
CREATE INDEX "cost_node_hours_hour_idx" ON "cost_node_hours" USING btree ("hour");