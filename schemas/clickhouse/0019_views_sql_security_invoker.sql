-- 0019 Views read their tables with the reader's rights (SQL SECURITY INVOKER).
--
-- `tracker tenants grant` scopes a server user to one tenant by row policies
-- on the tables. A view reads its tables as its SQL SECURITY says: INVOKER,
-- as the user who queries it, under that user's row policies; DEFINER, as
-- the user who created it (the one migrating, whose permissive policy
-- `tracker_all` sees every tenant). The views of 0001-0018 declare none and
-- so took the default of the session that created them
-- (default_normal_view_sql_security): INVOKER on a server as shipped, but on
-- one whose profile sets DEFINER a tenant's user reading v_roi_post or any
-- other view would see every tenant's posts and fees. Each view is set to
-- INVOKER here, whatever it was created with.
--
-- A later migration that restates a view must write CREATE OR REPLACE VIEW
-- <name> SQL SECURITY INVOKER AS …: a view replaced without it takes the
-- session's default again (tests/integration/test_store.py checks every view).
-- The embedded engine has no users: there tenant tokens on the read endpoint
-- filter every table a view reads, whatever its SQL SECURITY.

ALTER TABLE comment_brand_hits MODIFY SQL SECURITY INVOKER;
ALTER TABLE comment_hours MODIFY SQL SECURITY INVOKER;
ALTER TABLE keyword_hours MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_bundle_shares MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_campaign_level_money MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_campaign_money MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_campaign_platform_totals MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_creator_scorecard MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_curves MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_emv_prices MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_emv_units MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_fx_pairs MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_heating_efficiency MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_money MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_money_lines MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_post_context MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_post_latest MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_post_money MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_roi_by MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_roi_campaign MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_roi_post MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_roi_tenant MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_sales_attributed MODIFY SQL SECURITY INVOKER;
ALTER TABLE v_tier_distribution MODIFY SQL SECURITY INVOKER;
