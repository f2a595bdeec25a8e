CREATE TABLE `comparisons` (
	`id` text PRIMARY KEY NOT NULL,
	`conversation_id` text NOT NULL,
	`chosen_response_id` text NOT NULL,
	`chosen_choice_index` integer NOT NULL,
	`rejected_response_id` text NOT NULL,
	`rejected_choice_index` integer NOT NULL,
	`tie` integer NOT NULL,
	`who` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`chosen_response_id`,`chosen_choice_index`) REFERENCES `responses`(`id`,`choice_index`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`rejected_response_id`,`rejected_choice_index`) REFERENCES `responses`(`id`,`choice_index`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `comparisons_conversation_idx` ON `comparisons` (`conversation_id`);--> statement-breakpoint
CREATE TABLE `conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL,
	`prompt` text,
	`messages` text,
	`source` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `conversations_created_at_idx` ON `conversations` (`created_at`);--> statement-breakpoint
CREATE TABLE `datasets` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`created_at` integer NOT NULL,
	`row_count` integer NOT NULL,
	`path` text,
	`content_hash` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `feedback` (
	`id` text PRIMARY KEY NOT NULL,
	`response_id` text NOT NULL,
	`choice_index` integer NOT NULL,
	`rating` integer,
	`score` real,
	`comment` text,
	`user_id` text,
	`source` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`response_id`,`choice_index`) REFERENCES `responses`(`id`,`choice_index`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `feedback_response_idx` ON `feedback` (`response_id`,`choice_index`);--> statement-breakpoint
CREATE TABLE `responses` (
	`id` text NOT NULL,
	`choice_index` integer NOT NULL,
	`conversation_id` text NOT NULL,
	`model` text NOT NULL,
	`checkpoint` text,
	`sampling` text NOT NULL,
	`text` text NOT NULL,
	`token_ids` text NOT NULL,
	`logprobs` text,
	`prompt_tokens` integer NOT NULL,
	`completion_tokens` integer NOT NULL,
	`latency_ms` real NOT NULL,
	`finish_reason` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`id`, `choice_index`),
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `responses_conversation_idx` ON `responses` (`conversation_id`);--> statement-breakpoint
CREATE TABLE `rewards` (
	`id` text PRIMARY KEY NOT NULL,
	`response_id` text NOT NULL,
	`choice_index` integer NOT NULL,
	`reward_model` text NOT NULL,
	`checkpoint` text,
	`score` real NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`response_id`,`choice_index`) REFERENCES `responses`(`id`,`choice_index`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `rewards_response_idx` ON `rewards` (`response_id`,`choice_index`);