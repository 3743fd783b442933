"""A Faust app whose agent does nothing with its batches: the framework's own ceiling.

Run as ``python -m tests.bench.faust_noop APP_ID BOOTSTRAP TOPIC``; same transport,
buffer and ``take_events`` batching as tracker's worker, no decoding, state or sink.
"""

import atexit
import shutil
import sys
import tempfile

import faust

from tracker.stream.transport import broker_url

if __name__ == "__main__":
    app_id, bootstrap, topic = sys.argv[1:4]
    datadir = tempfile.mkdtemp(prefix="tracker-bench-noop-")  # Faust's table folder, not in the working directory
    atexit.register(shutil.rmtree, datadir, True)
    app = faust.App(app_id, broker=broker_url(bootstrap), store="memory://", web_enabled=False, datadir=datadir,
                    topic_partitions=4, consumer_auto_offset_reset="earliest", stream_buffer_maxsize=20_000)
    source = app.topic(topic, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")

    @app.agent(source)
    async def noop(stream: faust.StreamT) -> None:
        async for _events in stream.take_events(20_000, within=0.5):
            pass

    faust.Worker(app, loglevel="warning", quiet=True).execute_from_commandline()
