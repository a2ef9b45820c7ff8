"""Run a local Spark Connect server for the Spark tests: prints READY <port> once it serves, then waits for
stdin to close. Run in its own process: starting it uses local sockets, which the network guard installed
in the test process would refuse (and the guard cannot be removed once installed)."""

import os
import sys
import warnings

warnings.simplefilter("ignore")


def main() -> None:
    port = sys.argv[1]
    # A parent that used a Spark Connect client has these set; they would make this classic session try to
    # be a client itself (CONNECT_URL_NOT_SET) instead of starting the server.
    for name in ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE", "SPARK_LOCAL_REMOTE", "SPARK_CONNECT_MODE"):
        os.environ.pop(name, None)
    os.environ["SPARK_CONNECT_AUTHENTICATE_TOKEN"] = sys.argv[2]
    from pyspark.sql import SparkSession

    # A classic local session with the Spark Connect plugin: the server listens on ``port``.
    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin")
        .config("spark.connect.grpc.binding.port", port)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    session.sql("SELECT 1").collect()
    print(f"READY {port}", flush=True)
    sys.stdin.read()  # until the test session closes our stdin
    session.stop()


if __name__ == "__main__":
    main()
