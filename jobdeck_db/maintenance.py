"""Maintenance services that work on the database: a restart is a warning, not a bug."""

from jobdeck_db.availability import is_connection_problem
from jobdeck_runtime.maintenance import MaintenanceService, Report, Settings


class DatabaseMaintenance(MaintenanceService[Settings, Report]):
    def describe_failure(self, error: Exception) -> str | None:
        if is_connection_problem(error):
            return f"database unavailable: {error}"
        return None
