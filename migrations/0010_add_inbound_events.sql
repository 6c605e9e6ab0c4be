CREATE TABLE "inbound_alerts" (
	"id" serial PRIMARY KEY NOT NULL,
	"group_key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"fingerprint_source" text NOT NULL,
	"status" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone,
	"alertname" text,
	"receiver" text NOT NULL,
	"labels" jsonb NOT NULL,
	"annotations" jsonb NOT NULL,
	"generator_url" text,
	"node" text,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "inbound_alerts_dedupe_key" UNIQUE("group_key","fingerprint","status","starts_at")
);
--> statement-breakpoint
CREATE TABLE "inbound_aws_events" (
	"id" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"detail_type" text NOT NULL,
	"kind" text NOT NULL,
	"account" text NOT NULL,
	"region" text NOT NULL,
	"instance_id" text NOT NULL,
	"instance_action" text,
	"event_time" timestamp with time zone NOT NULL,
	"node" text,
	"detail" jsonb NOT NULL,
	"outcome" text DEFAULT 'pending' NOT NULL,
	"received_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "inbound_alerts_received_at_idx" ON "inbound_alerts" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "inbound_aws_events_instance_idx" ON "inbound_aws_events" USING btree ("instance_id","event_time");