"""Widget views: one Python module here per TypeScript module in js/src/views/."""
