"""The app's configuration (environment variables or create_app's config) sets the script bounds."""
from app import create_app
from processes import sandbox


def test_the_app_config_sets_the_bounds(engine):
    before = sandbox.limits()
    try:
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "t", "SCRIPT_CPU_SECONDS": 0.25,
                    "SCRIPT_MEMORY_MB": 48, "SCRIPT_WALL_SECONDS": 5, "SCRIPT_SANDBOX_PROCESSES": 2,
                    "DEPLOY_MODELS_AT_START": False})
        limits = sandbox.limits()
        assert (limits.cpu_seconds, limits.memory_mb, limits.wall_seconds, limits.processes) == (0.25, 48, 5, 2)
    finally:
        sandbox.configure(cpu_seconds=before.cpu_seconds, memory_mb=before.memory_mb,
                          wall_seconds=before.wall_seconds, processes=before.processes)
