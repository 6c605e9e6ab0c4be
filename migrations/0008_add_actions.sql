CREATE TABLE "action_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"action_id" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"event" text NOT NULL,
	"from_state" text,
	"to_state" text,
	"actor" text NOT NULL,
	"ok" boolean,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "action_controls" (
	"name" text PRIMARY KEY NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"changed_by" text,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"note" text
);
--> statement-breakpoint
CREATE TABLE "actions" (
	"id" serial PRIMARY KEY NOT NULL,
	"cluster" text NOT NULL,
	"kind" text NOT NULL,
	"reason" text NOT NULL,
	"state" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"request" jsonb NOT NULL,
	"scope" jsonb NOT NULL,
	"target_key" text NOT NULL,
	"blast_nodes" integer DEFAULT 0 NOT NULL,
	"blast_gpus" integer DEFAULT 0 NOT NULL,
	"cost_subject" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"recommendation_id" integer,
	"recommendation_version" integer,
	"idempotency_key" text NOT NULL,
	"checkpoint" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"blocked_reason" text,
	"last_error" jsonb,
	"approved_by" text,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"executed_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"realized_savings_usd" numeric(24, 10),
	"savings_before_usd" numeric(24, 10),
	"savings_after_usd" numeric(24, 10),
	"savings_before_from" timestamp with time zone,
	"savings_after_to" timestamp with time zone,
	CONSTRAINT "actions_idempotency_key" UNIQUE("idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "api_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"principal" text,
	"role" text,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"status" integer NOT NULL,
	"request_id" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "action_audit" ADD CONSTRAINT "action_audit_action_id_actions_id_fk" FOREIGN KEY ("action_id") REFERENCES "public"."actions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "action_audit_action_idx" ON "action_audit" USING btree ("action_id","id");--> statement-breakpoint
CREATE INDEX "actions_state_idx" ON "actions" USING btree ("state","next_attempt_at");--> statement-breakpoint
CREATE INDEX "actions_executed_at_idx" ON "actions" USING btree ("executed_at");--> statement-breakpoint
CREATE INDEX "api_audit_at_idx" ON "api_audit" USING btree ("at");