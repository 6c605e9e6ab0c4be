ALTER TABLE "gpu_rollups" ADD COLUMN "gpu_util_mean" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD COLUMN "gpu_util_max" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD COLUMN "memory_temperature_max_celsius" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD COLUMN "power_limit_watts" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD COLUMN "pcie_replay_delta" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD COLUMN "ecc_sbe_volatile_delta" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD COLUMN "ecc_dbe_volatile_delta" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD COLUMN "row_remap_failure" integer;--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD COLUMN "uncorrectable_remapped_rows" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups" ADD COLUMN "correctable_remapped_rows" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups_hourly" ADD COLUMN "gpu_util_mean" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups_hourly" ADD COLUMN "gpu_util_max" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups_hourly" ADD COLUMN "memory_temperature_max_celsius" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups_hourly" ADD COLUMN "power_limit_watts" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups_hourly" ADD COLUMN "pcie_replay_delta" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups_hourly" ADD COLUMN "ecc_sbe_volatile_delta" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups_hourly" ADD COLUMN "ecc_dbe_volatile_delta" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups_hourly" ADD COLUMN "row_remap_failure" integer;--> statement-breakpoint
ALTER TABLE "gpu_rollups_hourly" ADD COLUMN "uncorrectable_remapped_rows" double precision;--> statement-breakpoint
ALTER TABLE "gpu_rollups_hourly" ADD COLUMN "correctable_remapped_rows" double precision;