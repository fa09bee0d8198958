"""KPIs (their definitions and targets), rollups, dashboards and process analysis."""
