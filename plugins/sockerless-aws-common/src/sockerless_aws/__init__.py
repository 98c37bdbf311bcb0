"""What the Sockerless AWS backends share: settings, SDK clients, tags and CloudWatch log reading.

* :mod:`.settings`: one option lookup (``--backend-opt``, the config file, ``SOCKERLESS_<BACKEND>_*``,
  ``SOCKERLESS_AWS_*``) and the simulator switch (an endpoint URL);
* :mod:`.clients`: cached boto3 clients and calls run off the event loop, with AWS errors turned
  into Docker-style ones;
* :mod:`.tags`: the tags every created resource carries, and Docker labels as tags;
* :mod:`.logs`: CloudWatch Logs events as the core's log records (since, until, tail, follow).
"""

from . import tags
from .clients import AwsClients, CloudError
from .logs import read_log_events
from .settings import AwsSettings

__all__ = ["AwsClients", "AwsSettings", "CloudError", "read_log_events", "tags"]
