"""Engine glue around SpiffWorkflow. Never imports Flask or app/: domain services reach the engine through
the service-task registry (processes.services)."""
