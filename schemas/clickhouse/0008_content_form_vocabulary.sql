-- 0008 The content forms posts.content_form holds, as the registry writes them.
--
-- 0001 documented 'video, image_text, live, story, ...', but the registry
-- stores the forms of the tracker.posts.v1 contract, and an image_text
-- post (图文) was stored as 'other'. `tracker posts import` now reads every
-- documented name and its aliases (tracker/registry/records.py FORMS) and
-- names the rows whose form it does not know. This restates the column's
-- comment with the values it really holds; no data changes.

ALTER TABLE posts
    COMMENT COLUMN content_form
    'video, image (图文, image_text), text, live, story, article, other (a form the import did not know)';
