CREATE TABLE "link_rollups" (
	"link_id" integer NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"sample_count" integer NOT NULL,
	"tx_bytes_per_second_mean" double precision,
	"tx_bytes_per_second_max" double precision,
	"rx_bytes_per_second_mean" double precision,
	"rx_bytes_per_second_max" double precision,
	"utilization_max" double precision,
	"xmit_wait_per_second" double precision,
	"error_deltas" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"errors_total" double precision DEFAULT 0 NOT NULL,
	"link_downed" integer DEFAULT 0 NOT NULL,
	"state_changes" integer DEFAULT 0 NOT NULL,
	"flapping" boolean DEFAULT false NOT NULL,
	"counter_issues" integer DEFAULT 0 NOT NULL,
	"suspect_samples" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "link_rollups_link_id_bucket_pk" PRIMARY KEY("link_id","bucket")
);
--> statement-breakpoint
CREATE TABLE "links" (
	"id" serial PRIMARY KEY NOT NULL,
	"node_id" integer NOT NULL,
	"link_type" text NOT NULL,
	"device" text NOT NULL,
	"port" integer NOT NULL,
	"rate_bits_per_second" double precision,
	"state" text,
	"phys_state" text,
	"gpu_indices" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "links_node_type_device_port_key" UNIQUE("node_id","link_type","device","port")
);
--> statement-breakpoint
CREATE TABLE "job_gpus" (
	"job_ref" integer NOT NULL,
	"node" text NOT NULL,
	"gpu_index" integer,
	"gpu_uuid" text,
	"mig_profile" text
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" serial PRIMARY KEY NOT NULL,
	"cluster" text NOT NULL,
	"source" text NOT NULL,
	"job_id" text NOT NULL,
	"name" text NOT NULL,
	"user" text,
	"account" text,
	"namespace" text,
	"partition" text,
	"team" text,
	"project" text,
	"state" text NOT NULL,
	"raw_state" text NOT NULL,
	"submitted_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"gpus_requested" integer,
	"gpus_allocated" integer NOT NULL,
	"gpu_type" text,
	"nodes" text[] NOT NULL,
	"pods" text[] NOT NULL,
	"owners" jsonb NOT NULL,
	"labels" jsonb NOT NULL,
	"scheduler_gpu_utilization_percent" double precision,
	"scheduler_gpu_memory_bytes" double precision,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "jobs_cluster_source_job_id_key" UNIQUE("cluster","source","job_id")
);
--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD COLUMN "owner_kind" text;--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD COLUMN "owner_ref" text;--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD COLUMN "job_ref" integer;--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD COLUMN "attribution" text;--> statement-breakpoint
ALTER TABLE "link_rollups" ADD CONSTRAINT "link_rollups_link_id_links_id_fk" FOREIGN KEY ("link_id") REFERENCES "public"."links"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "links" ADD CONSTRAINT "links_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_gpus" ADD CONSTRAINT "job_gpus_job_ref_jobs_id_fk" FOREIGN KEY ("job_ref") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "link_rollups_bucket_idx" ON "link_rollups" USING btree ("bucket");--> statement-breakpoint
CREATE INDEX "job_gpus_job_ref_idx" ON "job_gpus" USING btree ("job_ref");--> statement-breakpoint
CREATE INDEX "job_gpus_node_index_idx" ON "job_gpus" USING btree ("node","gpu_index");--> statement-breakpoint
CREATE INDEX "jobs_started_at_idx" ON "jobs" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "jobs_pods_idx" ON "jobs" USING gin ("pods");--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD CONSTRAINT "gpu_rollups_job_ref_jobs_id_fk" FOREIGN KEY ("job_ref") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "gpu_rollups_job_ref_idx" ON "gpu_rollups" USING btree ("job_ref") WHERE job_ref is not null;