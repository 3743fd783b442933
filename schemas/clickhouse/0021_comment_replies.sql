-- 0021 A reply keeps the comment it answers.
--
-- The collectors read replies where the platform's answer gives them (YouTube's
-- threads with their replies, Bilibili's replies of a root comment, the replies
-- among Weibo's and TikTok's comments), and tracker.comments.v1 carries the
-- comment replied to (parent_id), but the comments table had no column for it:
-- a "同问链接" under a question read as a comment of its own. A reply is
-- counted as a comment like any other (comment_hours, intent rates); parent_id
-- says which comment it answers ('' for a top-level comment).

ALTER TABLE comments ADD COLUMN IF NOT EXISTS parent_id String DEFAULT ''
    COMMENT 'comment_id of the comment this one replies to; empty for a top-level comment';
