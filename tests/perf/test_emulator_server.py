"""The benchmarks' AWS emulator (benchmarks/environment.py) keeps a client's connection open between calls, as
AWS endpoints do for a warm Lambda, so a measured call is not charged a connect and a close per request."""

from __future__ import annotations

import socket

import botocore.session

from benchmarks.environment import _KeepAliveServer, free_port


def test_calls_share_one_connection_and_are_answered(monkeypatch):
    port = free_port()
    server = _KeepAliveServer(port)
    try:
        client = botocore.session.get_session().create_client(
            "dynamodb", region_name="eu-west-1", endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="a", aws_secret_access_key="b")
        connects: list = []
        real_connect = socket.socket.connect

        def counted(sock, address):
            connects.append(address)
            return real_connect(sock, address)

        monkeypatch.setattr(socket.socket, "connect", counted)
        client.create_table(TableName="keepalive", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        client.put_item(TableName="keepalive", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
        answers = [client.get_item(TableName="keepalive", Key={"pk": {"S": "a"}}) for _ in range(3)]
    finally:
        server.close()
    assert [answer["Item"] for answer in answers] == [{"pk": {"S": "a"}, "n": {"N": "1"}}] * 3
    assert "close" not in answers[-1]["ResponseMetadata"]["HTTPHeaders"].get("connection", "")
    assert connects == [("127.0.0.1", port)]  # five calls, one connection
