"""papercc package."""
