-- 0006 A closed pulse's response mixture.
--
-- The worker pulls a post's first pulse (a publish burst has no earlier pulse
-- of its own post to lean on) towards the mean response shape of the first
-- pulses of its platform and tier's earlier posts (tracker/stream/shapes.py).
-- It learns that shape from this column: the weights of the pulse's
-- exponential components (time constants 1 h … 21 d, fastest first), summing
-- to 1, fitted from the post's own data. Empty while the pulse is open, for a
-- pulse with no response and for rows written before this migration.

ALTER TABLE pulses
    ADD COLUMN IF NOT EXISTS response_shape Array(Float32)
    COMMENT 'closed pulse: weights of its response components (1 h … 21 d), summing to 1'
    AFTER status;
