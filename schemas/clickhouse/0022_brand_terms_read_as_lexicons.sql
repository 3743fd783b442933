-- 0022 Brand terms are matched in the text as the comment lexicons read it.
--
-- The worker reads a comment for purchase intent and negative terms after
-- NFKC (full-width letters as ASCII), lower case and traditional characters
-- as simplified (tracker/analytics/keywords.py), but comment_brand_hits
-- (0017) matched a campaign's brand terms in the raw text: "ＭＡＣ的口红" or
-- "Ｓｋ－ＩＩ神仙水" named no brand of a campaign with MAC and SK-II, and
-- brand_comments, keyword_hours and the report's brand figures left them
-- out. The text and each brand term are now read alike: normalizeUTF8NFKC,
-- lowerUTF8, then translateUTF8 with the worker's traditional-to-simplified
-- characters (keywords._TRADITIONAL, the same pairs in the same order),
-- before the word match of 0017. A
-- term is still reported as the campaign wrote it. comment_hours and
-- keyword_hours read this view at query time, so past comments count too.
--
-- text_normal: the comment's text as matched.

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
FROM (SELECT * FROM comments FINAL) AS c
LEFT JOIN
(
    SELECT p.tenant AS tenant, p.post_id AS post_id, m.brand_terms AS brand_terms
    FROM (SELECT tenant, post_id, campaign_id FROM posts FINAL) AS p
    LEFT JOIN (SELECT tenant, campaign_id, brand_terms FROM campaigns FINAL) AS m
        ON m.tenant = p.tenant AND m.campaign_id = p.campaign_id
) AS k ON k.tenant = c.tenant AND k.post_id = c.post_id;
