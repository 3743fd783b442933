-- 0023 The hourly comment views leave out the comments of deleted posts.
--
-- A post deleted from the registry counts in no ROI figure (v_post_context
-- excludes tombstones, and v_money its money since 0020), but its comments
-- stay in their table, and comment_brand_hits listed them, with their
-- campaign's brand terms: comment_hours and keyword_hours, the analysts'
-- hourly views, counted a deleted post's comments, intent comments and
-- brand mentions, so a campaign's or a tenant's sums over them were more
-- than v_roi_campaign's intent comments for the same posts. They now leave
-- out the comments of a post whose registry entry is deleted (its tombstone,
-- under its tenant); a post imported again counts again, and a post not
-- registered yet keeps its comments (brand_comments NULL), as before.
-- Otherwise as 0022 left it; comment_hours and keyword_hours read this view.

CREATE OR REPLACE VIEW comment_brand_hits SQL SECURITY INVOKER AS
WITH
    '鏈連結麼買裡裏兒賣錢價購單種黃車稅貨騙難評過爛臉虛傳廣飯貴嗎會沒別無這個薦還從絕並慮準備' AS traditional,
    '链连结么买里里儿卖钱价购单种黄车税货骗难评过烂脸虚传广饭贵吗会没别无这个荐还从绝并虑准备' AS simplified
SELECT
    c.tenant AS tenant, c.post_id AS post_id, c.created_at AS created_at, c.intent AS intent,
    c.negative AS negative, c.intent_terms AS intent_terms, c.negative_terms AS negative_terms,
    k.brand_terms AS brand_terms,
    translateUTF8(lowerUTF8(normalizeUTF8NFKC(c.text)), traditional, simplified) AS text_normal,
    arrayFilter((b, n) -> match(text_normal, concat(
        if(match(n, '^[A-Za-z0-9]'), '(?:^|[^A-Za-z0-9])', ''),
        replaceRegexpAll(n, '[\\\\.^$|?*+()\\[\\]{}-]', '\\\\\\0'),
        if(match(n, '[A-Za-z0-9]$'), '(?:[^A-Za-z0-9]|$)', ''))),
        k.brand_terms,
        arrayMap(b -> translateUTF8(lowerUTF8(normalizeUTF8NFKC(b)), traditional, simplified), k.brand_terms))
        AS brand_hits
FROM
(
    SELECT * FROM comments FINAL
    WHERE (tenant, post_id) NOT IN (SELECT tenant, post_id FROM posts FINAL WHERE deleted = 1)
) AS c
LEFT JOIN
(
    SELECT p.tenant AS tenant, p.post_id AS post_id, m.brand_terms AS brand_terms
    FROM (SELECT tenant, post_id, campaign_id FROM posts FINAL) AS p
    LEFT JOIN (SELECT tenant, campaign_id, brand_terms FROM campaigns FINAL) AS m
        ON m.tenant = p.tenant AND m.campaign_id = p.campaign_id
) AS k ON k.tenant = c.tenant AND k.post_id = c.post_id;
