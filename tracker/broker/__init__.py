"""The local Apache Kafka node (jars from Maven Central, KRaft) and topic admin."""
