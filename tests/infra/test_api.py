"""Every catalog route exists, reaches its function's live alias, and is authorised unless public."""

from __future__ import annotations

from tests.infra.cfn import live_alias_id, of_type, props


def _routes(synth) -> dict[str, dict]:
    return {props(r)["RouteKey"]: props(r) for r in of_type(synth, "AWS::ApiGatewayV2::Route").values()}


def test_exactly_the_catalog_routes(synth):
    expected = {f"{route.method} {route.path}" for fn in synth.catalog.api_functions for route in fn.routes}
    assert set(_routes(synth)) == expected


def test_each_route_integrates_with_its_functions_live_alias(synth):
    routes = _routes(synth)
    integrations = of_type(synth, "AWS::ApiGatewayV2::Integration")
    for fn in synth.catalog.api_functions:
        alias = {"Ref": live_alias_id(synth, fn.name)}
        for route in fn.routes:
            integration_id = routes[f"{route.method} {route.path}"]["Target"]["Fn::Join"][1][1]["Ref"]
            integration = props(integrations[integration_id])
            assert integration["IntegrationType"] == "AWS_PROXY"
            assert integration["IntegrationUri"] == alias, f"{route.method} {route.path}"


def test_private_routes_need_the_jwt_public_routes_do_not(synth):
    (authorizer_id,) = of_type(synth, "AWS::ApiGatewayV2::Authorizer")
    routes = _routes(synth)
    for fn in synth.catalog.api_functions:
        for route in fn.routes:
            r = routes[f"{route.method} {route.path}"]
            if route.public:
                assert r["AuthorizationType"] == "NONE"
                assert "AuthorizerId" not in r
            else:
                assert r["AuthorizationType"] == "JWT"
                assert r["AuthorizerId"] == {"Ref": authorizer_id}


def test_the_api_invokes_only_aliases(synth):
    aliases = {live_alias_id(synth, fn.name) for fn in synth.catalog.api_functions}
    for permission in of_type(synth, "AWS::Lambda::Permission").values():
        if props(permission)["Principal"] == "apigateway.amazonaws.com":
            assert props(permission)["FunctionName"]["Ref"] in aliases


def test_jwt_issuer_is_the_stacks_user_pool_by_default(dev):
    (pool_id,) = of_type(dev, "AWS::Cognito::UserPool")
    (client_id,) = of_type(dev, "AWS::Cognito::UserPoolClient")
    (authorizer,) = of_type(dev, "AWS::ApiGatewayV2::Authorizer").values()
    config = props(authorizer)["JwtConfiguration"]
    assert config["Audience"] == [{"Ref": client_id}]
    assert config["Issuer"] == {"Fn::GetAtt": [pool_id, "ProviderURL"]}


def test_an_existing_issuer_from_context_replaces_the_user_pool(fake):
    assert not of_type(fake, "AWS::Cognito::UserPool")
    fake.template.has_resource_properties(
        "AWS::ApiGatewayV2::Authorizer",
        {
            "AuthorizerType": "JWT",
            "JwtConfiguration": {"Issuer": fake.config.jwt_issuer, "Audience": ["foodshare-app"]},
        },
    )


def test_stage_throttling_and_access_logs(synth):
    (stage,) = of_type(synth, "AWS::ApiGatewayV2::Stage").values()
    stage = props(stage)
    assert stage["StageName"] == "$default"
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": synth.config.api_rate_limit,
        "ThrottlingBurstLimit": synth.config.api_burst_limit,
    }
    log_group = synth.resources[stage["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]]
    assert props(log_group)["RetentionInDays"] == synth.config.log_retention_days
    assert "$context.status" in stage["AccessLogSettings"]["Format"]


def test_prod_throttles_higher_than_dev(dev, prod):
    assert dev.config.api_rate_limit < prod.config.api_rate_limit
    assert prod.config.api_rate_limit <= prod.config.api_burst_limit


DOCS_ROUTES = {"GET /openapi.json", "GET /docs"}


def test_api_docs_are_served_where_the_stage_turns_them_on_and_absent_elsewhere(dev, prod):
    assert dev.config.api_docs is True and prod.config.api_docs is False
    dev_routes, prod_routes = _routes(dev), _routes(prod)
    assert DOCS_ROUTES <= set(dev_routes)
    assert not DOCS_ROUTES & set(prod_routes)
    for key in DOCS_ROUTES:  # public, on the api_docs function's live alias
        assert dev_routes[key]["AuthorizationType"] == "NONE"
        integration_id = dev_routes[key]["Target"]["Fn::Join"][1][1]["Ref"]
        integration = props(of_type(dev, "AWS::ApiGatewayV2::Integration")[integration_id])
        assert integration["IntegrationUri"] == {"Ref": live_alias_id(dev, "api_docs")}
    dev.template.has_resource_properties("AWS::Lambda::Function", {"FunctionName": "foodshare-dev-api_docs"})
    prod_functions = {props(r)["FunctionName"] for r in of_type(prod, "AWS::Lambda::Function").values()}
    assert "foodshare-prod-api_docs" not in prod_functions
    # everything else is the same API in both stages
    assert set(dev_routes) - DOCS_ROUTES == set(prod_routes)
