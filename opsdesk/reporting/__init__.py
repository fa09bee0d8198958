"""Read-only figures about the process: the incident manager's overview, later KPIs and exports."""
