CREATE TABLE "collector_targets" (
	"kind" text NOT NULL,
	"url" text PRIMARY KEY NOT NULL,
	"node" text,
	"up" boolean NOT NULL,
	"last_attempt_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"last_error" text,
	"last_duration_seconds" double precision,
	"last_sample_count" integer,
	"last_issue_count" integer,
	"consecutive_failures" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gpu_rollups" (
	"gpu_id" integer NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"sample_count" integer NOT NULL,
	"activity_source" text,
	"activity_mean" double precision,
	"activity_max" double precision,
	"sm_active_mean" double precision,
	"sm_active_max" double precision,
	"tensor_active_mean" double precision,
	"tensor_active_max" double precision,
	"dram_active_mean" double precision,
	"dram_active_max" double precision,
	"encoder_mean" double precision,
	"decoder_mean" double precision,
	"memory_used_max_bytes" double precision,
	"memory_total_bytes" double precision,
	"power_mean_watts" double precision,
	"energy_joules" double precision,
	"temperature_max_celsius" double precision,
	"sm_clock_mean_hertz" double precision,
	"xid_codes" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"clock_event_reasons" bigint DEFAULT 0 NOT NULL,
	"pcie_tx_bytes_per_second" double precision,
	"pcie_rx_bytes_per_second" double precision,
	"nvlink_tx_bytes_per_second" double precision,
	"nvlink_rx_bytes_per_second" double precision,
	CONSTRAINT "gpu_rollups_gpu_id_bucket_pk" PRIMARY KEY("gpu_id","bucket")
);
--> statement-breakpoint
CREATE TABLE "gpu_rollups_hourly" (
	"gpu_id" integer NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"sample_count" integer NOT NULL,
	"activity_source" text,
	"activity_mean" double precision,
	"activity_max" double precision,
	"sm_active_mean" double precision,
	"sm_active_max" double precision,
	"tensor_active_mean" double precision,
	"tensor_active_max" double precision,
	"dram_active_mean" double precision,
	"dram_active_max" double precision,
	"encoder_mean" double precision,
	"decoder_mean" double precision,
	"memory_used_max_bytes" double precision,
	"memory_total_bytes" double precision,
	"power_mean_watts" double precision,
	"energy_joules" double precision,
	"temperature_max_celsius" double precision,
	"sm_clock_mean_hertz" double precision,
	"xid_codes" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"clock_event_reasons" bigint DEFAULT 0 NOT NULL,
	"pcie_tx_bytes_per_second" double precision,
	"pcie_rx_bytes_per_second" double precision,
	"nvlink_tx_bytes_per_second" double precision,
	"nvlink_rx_bytes_per_second" double precision,
	CONSTRAINT "gpu_rollups_hourly_gpu_id_bucket_pk" PRIMARY KEY("gpu_id","bucket")
);
--> statement-breakpoint
CREATE TABLE "gpus" (
	"id" serial PRIMARY KEY NOT NULL,
	"node_id" integer NOT NULL,
	"uuid" text NOT NULL,
	"gpu_instance_id" integer,
	"gpu_index" integer,
	"device" text,
	"model" text,
	"pci_bus_id" text,
	"mig_profile" text,
	"driver_version" text,
	"owner_labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "gpus_node_uuid_instance_key" UNIQUE NULLS NOT DISTINCT("node_id","uuid","gpu_instance_id")
);
--> statement-breakpoint
CREATE TABLE "nodes" (
	"id" serial PRIMARY KEY NOT NULL,
	"cluster" text NOT NULL,
	"name" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "nodes_cluster_name_key" UNIQUE("cluster","name")
);
--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD CONSTRAINT "gpu_rollups_gpu_id_gpus_id_fk" FOREIGN KEY ("gpu_id") REFERENCES "public"."gpus"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gpu_rollups_hourly" ADD CONSTRAINT "gpu_rollups_hourly_gpu_id_gpus_id_fk" FOREIGN KEY ("gpu_id") REFERENCES "public"."gpus"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gpus" ADD CONSTRAINT "gpus_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "gpu_rollups_bucket_idx" ON "gpu_rollups" USING btree ("bucket");--> statement-breakpoint
CREATE INDEX "gpu_rollups_hourly_bucket_idx" ON "gpu_rollups_hourly" USING btree ("bucket");--> statement-breakpoint
CREATE INDEX "gpus_uuid_idx" ON "gpus" USING btree ("uuid");