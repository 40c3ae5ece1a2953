"""Demo seed: deploy the repository's BPMN models (idempotent: unchanged models are not deployed again)."""
from app.config import ROOT
from processes.definitions import deploy_directory


def seed_demo(db):
    deploy_directory(db, ROOT / "bpmn-models", ROOT / "forms")
