/** Topics of the contact form (聯絡我們). */
export const FEEDBACK_TOPICS = ["bill_question", "payment_problem", "website", "accessibility", "suggestion", "other"] as const;
export type FeedbackTopic = (typeof FEEDBACK_TOPICS)[number];
