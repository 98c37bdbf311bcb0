"""An OCI distribution (registry v2) client: settings, credentials and token auth, manifests, blobs.

Built on httpx (see the core README for why no higher-level registry library is used).
"""

from .auth import Credentials, credentials_from_header
from .client import RegistryClient, RegistryError, Unreachable
from .settings import RegistrySettings

__all__ = ["Credentials", "RegistryClient", "RegistryError", "RegistrySettings", "Unreachable", "credentials_from_header"]
