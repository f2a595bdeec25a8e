CREATE TABLE "comparisons" (
	"id" text PRIMARY KEY NOT NULL,
	"conversation_id" text NOT NULL,
	"chosen_response_id" text NOT NULL,
	"chosen_choice_index" integer NOT NULL,
	"rejected_response_id" text NOT NULL,
	"rejected_choice_index" integer NOT NULL,
	"tie" boolean NOT NULL,
	"who" text,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" text PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"prompt" text,
	"messages" jsonb,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"row_count" integer NOT NULL,
	"path" text,
	"content_hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "feedback" (
	"id" text PRIMARY KEY NOT NULL,
	"response_id" text NOT NULL,
	"choice_index" integer NOT NULL,
	"rating" integer,
	"score" double precision,
	"comment" text,
	"user_id" text,
	"source" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "responses" (
	"id" text NOT NULL,
	"choice_index" integer NOT NULL,
	"conversation_id" text NOT NULL,
	"model" text NOT NULL,
	"checkpoint" text,
	"sampling" jsonb NOT NULL,
	"text" text NOT NULL,
	"token_ids" jsonb NOT NULL,
	"logprobs" jsonb,
	"prompt_tokens" integer NOT NULL,
	"completion_tokens" integer NOT NULL,
	"latency_ms" double precision NOT NULL,
	"finish_reason" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "responses_pk" PRIMARY KEY("id","choice_index")
);
--> statement-breakpoint
CREATE TABLE "rewards" (
	"id" text PRIMARY KEY NOT NULL,
	"response_id" text NOT NULL,
	"choice_index" integer NOT NULL,
	"reward_model" text NOT NULL,
	"checkpoint" text,
	"score" double precision NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "comparisons" ADD CONSTRAINT "comparisons_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comparisons" ADD CONSTRAINT "comparisons_chosen_fk" FOREIGN KEY ("chosen_response_id","chosen_choice_index") REFERENCES "public"."responses"("id","choice_index") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comparisons" ADD CONSTRAINT "comparisons_rejected_fk" FOREIGN KEY ("rejected_response_id","rejected_choice_index") REFERENCES "public"."responses"("id","choice_index") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_response_fk" FOREIGN KEY ("response_id","choice_index") REFERENCES "public"."responses"("id","choice_index") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "responses" ADD CONSTRAINT "responses_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rewards" ADD CONSTRAINT "rewards_response_fk" FOREIGN KEY ("response_id","choice_index") REFERENCES "public"."responses"("id","choice_index") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "comparisons_conversation_idx" ON "comparisons" USING btree ("conversation_id");--> statement-breakpoint
CREATE INDEX "conversations_created_at_idx" ON "conversations" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "feedback_response_idx" ON "feedback" USING btree ("response_id","choice_index");--> statement-breakpoint
CREATE INDEX "responses_conversation_idx" ON "responses" USING btree ("conversation_id");--> statement-breakpoint
CREATE INDEX "rewards_response_idx" ON "rewards" USING btree ("response_id","choice_index");