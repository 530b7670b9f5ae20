"""Browser tests of the dashboard (a package, so that its fixtures end with it)."""
