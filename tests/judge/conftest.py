"""The demo judge and a test client of its server, shared by the server and client tests."""

import pytest
from starlette.testclient import TestClient

from flame_jax import judge
from flame_jax.judge import server


@pytest.fixture(scope="session")
def rater(demo_checkpoint) -> judge.Autorater:
    return judge.load_autorater(demo_checkpoint, batch_size=4, progress=False)


@pytest.fixture(scope="session")
def http(rater):
    """Starlette's TestClient of the app serving the demo judge as "demo" (lifespan run)."""
    with TestClient(server.create_app({"demo": rater})) as client:
        yield client
