CREATE TABLE "job_gpu_usage_hours" (
	"job_ref" integer NOT NULL,
	"gpu_id" integer NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"minutes" integer NOT NULL,
	"activity_minutes" integer NOT NULL,
	"activity_percent" smallint[] NOT NULL,
	"activity_counts" smallint[] NOT NULL,
	"memory_mib" integer[] NOT NULL,
	"memory_counts" smallint[] NOT NULL,
	"activity_p95" double precision,
	"activity_max" double precision,
	"memory_used_max_bytes" double precision,
	"memory_total_bytes" double precision,
	"codec_max" double precision,
	"gpu_util_sum" double precision,
	"gpu_util_count" integer NOT NULL,
	"energy_count" integer NOT NULL,
	"energy_joules" double precision,
	"power_sum_watts" double precision,
	"power_count" integer NOT NULL,
	CONSTRAINT "job_gpu_usage_hours_job_ref_gpu_id_hour_pk" PRIMARY KEY("job_ref","gpu_id","hour")
);
--> statement-breakpoint
CREATE TABLE "job_usage_hours" (
	"hour" timestamp with time zone PRIMARY KEY NOT NULL,
	"change_version" integer DEFAULT 1 NOT NULL,
	"summarized_version" integer,
	"summarized_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "job_gpu_usage_hours" ADD CONSTRAINT "job_gpu_usage_hours_job_ref_jobs_id_fk" FOREIGN KEY ("job_ref") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_gpu_usage_hours" ADD CONSTRAINT "job_gpu_usage_hours_gpu_id_gpus_id_fk" FOREIGN KEY ("gpu_id") REFERENCES "public"."gpus"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "job_gpu_usage_hours_hour_idx" ON "job_gpu_usage_hours" USING btree ("hour");