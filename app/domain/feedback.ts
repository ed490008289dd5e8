/** Topics of the contact form (聯絡我們). */
export const FEEDBACK_TOPICS = ["bill_question", "payment_problem", "website", "accessibility", "suggestion", "other"] as const;
export type FeedbackTopic = (typeof FEEDBACK_TOPICS)[number];

/** Fields of the contact form, in the order they appear (and errors are listed). */
export const FEEDBACK_FIELDS = ["topic", "name", "email", "phone", "message"] as const;
export type FeedbackField = (typeof FEEDBACK_FIELDS)[number];

/** Where a message stands in the back office's inbox. */
export const FEEDBACK_STATUSES = ["new", "in_progress", "answered", "closed"] as const;
export type FeedbackStatus = (typeof FEEDBACK_STATUSES)[number];
