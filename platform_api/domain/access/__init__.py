"""RBAC: roles' permission scopes (``permissions``), the decision (``authz``) and what each guarded
route's target is (``targets``). The role names themselves are :mod:`platform_api.core.roles`."""
