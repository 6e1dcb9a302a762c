from tests.api.world import _world_pg, _world_sqlite, api, world_client, world_client_any, world_module_any

# ``api`` (a world whose roles log in on first use) is overridden by modules that define their own.
__all__ = ["_world_pg", "_world_sqlite", "api", "world_client", "world_client_any", "world_module_any"]
