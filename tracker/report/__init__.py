"""Reports: ROI query builders, CLI tables, charts, XLSX and HTML post-campaign reports."""
