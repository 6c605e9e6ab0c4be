CREATE TABLE "cost_job_days" (
	"cluster" text NOT NULL,
	"day" timestamp with time zone NOT NULL,
	"job_ref" integer NOT NULL,
	"job_id" text,
	"gpu_model" text,
	"currency" text NOT NULL,
	"price_tier" text NOT NULL,
	"cost" numeric(24, 10),
	"idle_cost" numeric(24, 10),
	"gpu_hours" double precision NOT NULL,
	"idle_gpu_hours" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cost_node_days" (
	"cluster" text NOT NULL,
	"node" text NOT NULL,
	"day" timestamp with time zone NOT NULL,
	"gpu_model" text,
	"reconciled_node_hours" integer NOT NULL,
	"reconciled_estimate" numeric(24, 10),
	"reconciled_billed" numeric(24, 10),
	"stale_node_hours" integer NOT NULL,
	"unpriced_gpu_hours" double precision NOT NULL,
	CONSTRAINT "cost_node_days_cluster_node_day_pk" PRIMARY KEY("cluster","node","day")
);
--> statement-breakpoint
CREATE INDEX "cost_job_days_cluster_day_idx" ON "cost_job_days" USING btree ("cluster","day");--> statement-breakpoint
CREATE INDEX "cost_node_days_cluster_day_idx" ON "cost_node_days" USING btree ("cluster","day");--> statement-breakpoint
CREATE INDEX "cost_node_hours_unpriced_idx" ON "cost_node_hours" USING btree ("cluster","hour") WHERE cost is null;