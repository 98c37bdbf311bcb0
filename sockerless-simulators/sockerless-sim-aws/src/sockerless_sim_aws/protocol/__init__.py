"""AWS wire protocols shared by the simulated services: JSON 1.1 targets, REST-JSON errors."""
