-- 0010 Post titles: what a client recognises a post by.
--
-- Campaign files and platform exports name each post (title, 视频标题,
-- 笔记标题 …), but the registry kept only its id, so reports listed
-- "douyin:7380000000000000001". tracker.posts.v1 now carries an optional
-- title; posts stores it ('' when none was given), and v_post_context, the
-- view of a post with its campaign, shows it.

ALTER TABLE posts
    ADD COLUMN IF NOT EXISTS title String DEFAULT '' COMMENT 'the post''s title or caption opening; empty = none given'
    AFTER url;

CREATE OR REPLACE VIEW v_post_context AS
SELECT
    p.tenant                                                                       AS tenant,
    p.post_id                                                                      AS post_id,
    p.platform                                                                     AS platform,
    p.campaign_id                                                                  AS campaign_id,
    p.creator_id                                                                   AS creator_id,
    p.creator_tier                                                                 AS creator_tier,
    p.content_form                                                                 AS content_form,
    p.bundle_id                                                                    AS bundle_id,
    p.published_at                                                                 AS published_at,
    p.url                                                                          AS url,
    c.name                                                                         AS campaign_name,
    if(c.time_zone = '', 'Asia/Shanghai', toString(c.time_zone))                   AS time_zone,
    coalesce(nullIf(c.reporting_currency, ''), nullIf(t.reporting_currency, ''), 'CNY') AS reporting_currency,
    coalesce(nullIf(t.reporting_currency, ''), 'CNY')                              AS tenant_currency,
    p.title                                                                        AS title
FROM (SELECT * FROM posts FINAL WHERE deleted = 0) AS p
LEFT JOIN (SELECT tenant, campaign_id, name, time_zone, reporting_currency FROM campaigns FINAL) AS c
    ON c.tenant = p.tenant AND c.campaign_id = p.campaign_id
LEFT JOIN (SELECT tenant, reporting_currency FROM tenants FINAL) AS t ON t.tenant = p.tenant;
