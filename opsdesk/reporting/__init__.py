"""Reports: the incident manager's overview (selectors.py), exports of lists and KPI tables to
CSV and xlsx, the monthly service report (HTML, PDF) and scheduled reports by email. README.md."""
