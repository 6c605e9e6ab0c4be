CREATE TABLE "billing_imports" (
	"id" serial PRIMARY KEY NOT NULL,
	"format" text NOT NULL,
	"provider" text NOT NULL,
	"billing_account_id" text NOT NULL,
	"billing_period_start" timestamp with time zone NOT NULL,
	"billing_period_end" timestamp with time zone NOT NULL,
	"source_file" text NOT NULL,
	"sha256" text NOT NULL,
	"currency" text NOT NULL,
	"line_count" integer NOT NULL,
	"billed_cost_total" numeric(24, 10) NOT NULL,
	"effective_cost_total" numeric(24, 10),
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "billing_imports_period_key" UNIQUE("provider","billing_account_id","billing_period_start")
);
--> statement-breakpoint
CREATE TABLE "billing_lines" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"import_id" integer NOT NULL,
	"line_number" integer NOT NULL,
	"charge_period_start" timestamp with time zone NOT NULL,
	"charge_period_end" timestamp with time zone NOT NULL,
	"charge_category" text,
	"pricing_category" text,
	"service_name" text,
	"resource_id" text,
	"instance_type" text,
	"region" text,
	"availability_zone" text,
	"usage_quantity" numeric(24, 10),
	"usage_unit" text,
	"billed_cost" numeric(24, 10) NOT NULL,
	"effective_cost" numeric(24, 10),
	"list_cost" numeric(24, 10),
	"currency" text NOT NULL,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cloud_instances" (
	"instance_id" text PRIMARY KEY NOT NULL,
	"instance_type" text NOT NULL,
	"region" text NOT NULL,
	"availability_zone" text,
	"private_dns_name" text,
	"node" text,
	"market" text NOT NULL,
	"state" text NOT NULL,
	"launched_at" timestamp with time zone,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cloud_instances_node_key" UNIQUE("node")
);
--> statement-breakpoint
CREATE TABLE "instance_types" (
	"name" text PRIMARY KEY NOT NULL,
	"gpu_model" text,
	"gpu_manufacturer" text,
	"gpu_count" integer DEFAULT 0 NOT NULL,
	"gpu_memory_mib" integer,
	"vcpus" integer,
	"memory_mib" integer,
	"source" text NOT NULL,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "prices" (
	"id" serial PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"kind" text NOT NULL,
	"region" text DEFAULT '' NOT NULL,
	"availability_zone" text DEFAULT '' NOT NULL,
	"instance_type" text NOT NULL,
	"usd_per_hour" numeric(20, 10) NOT NULL,
	"effective_from" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "prices_key" UNIQUE("provider","kind","region","availability_zone","instance_type","effective_from")
);
--> statement-breakpoint
ALTER TABLE "billing_lines" ADD CONSTRAINT "billing_lines_import_id_billing_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."billing_imports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "billing_lines_import_id_idx" ON "billing_lines" USING btree ("import_id");--> statement-breakpoint
CREATE INDEX "billing_lines_resource_period_idx" ON "billing_lines" USING btree ("resource_id","charge_period_start");--> statement-breakpoint
CREATE INDEX "billing_lines_period_idx" ON "billing_lines" USING btree ("charge_period_start");