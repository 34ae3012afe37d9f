"""The HTTP API: one route per catalog route, integrated with its function's `live` alias.

Routes require a JWT from the stage's issuer (a Cognito user pool made here, or an
existing issuer named in cdk.json) unless the catalog marks them public: the health
check, webhooks that verify their signatures in code, and the API docs (GET /openapi.json,
GET /docs), whose function and routes the stack receives only when the stage's `api_docs`
setting is on (`Catalog.deployed`).
"""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.catalog import Catalog
from cdk.config import StageConfig
from cdk.nag import acknowledge

# The API Gateway access-log fields written as one JSON object per request.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "sub": "$context.authorizer.claims.sub",
}


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        catalog: Catalog,
        aliases: dict[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, id)
        prefix = f"foodshare-{config.name}"
        self.http_api = apigw.HttpApi(
            self, "HttpApi", api_name=prefix, description="Foodshare public API", create_default_stage=False
        )
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/foodshare/{config.name}/api-access",
            retention=config.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=config.api_rate_limit, burst_limit=config.api_burst_limit),
        )
        # Set on the L1 stage: the L2 prop wants a jsii interface object Python cannot pass as a dict.
        cfn_stage: apigw.CfnStage = self.stage.node.default_child
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=self.access_logs.log_group_arn, format=json.dumps(ACCESS_LOG_FIELDS)
        )
        authorizer = self._authorizer(config, prefix)
        for fn in catalog.api_functions:
            integration = integrations.HttpLambdaIntegration(f"{fn.name}Integration", aliases[fn.name])
            for route in fn.routes:
                created = self.http_api.add_routes(
                    path=route.path,
                    methods=[apigw.HttpMethod(route.method)],
                    integration=integration,
                    authorizer=apigw.HttpNoneAuthorizer() if route.public else authorizer,
                )
                if route.public:
                    for r in created:
                        acknowledge(
                            r,
                            "AwsSolutions-APIG4",
                            f"{route.method} {route.path} is public in the catalog (health check, API docs on "
                            "stages that serve them, or a webhook that verifies its signature in code).",
                        )

    def _authorizer(self, config: StageConfig, prefix: str) -> authorizers.HttpJwtAuthorizer:
        if config.jwt_issuer:
            issuer, audience = config.jwt_issuer, list(config.jwt_audience)
        else:
            pool, client = self._user_pool(config, prefix)
            issuer, audience = pool.user_pool_provider_url, [client.user_pool_client_id]
        return authorizers.HttpJwtAuthorizer("Jwt", issuer, jwt_audience=audience)

    def _user_pool(self, config: StageConfig, prefix: str) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=prefix,
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_digits=True, require_lowercase=True, require_uppercase=True, require_symbols=True
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        acknowledge(
            pool,
            "AwsSolutions-COG2",
            "MFA is offered (TOTP) but not forced: neighbours sharing food are not a high-value target "
            "and forced MFA would keep most of them out.",
        )
        acknowledge(
            pool,
            "AwsSolutions-COG8",
            "Threat protection needs the Cognito Plus plan; its cost is not justified for this user base yet.",
        )
        client = pool.add_client(
            "App", user_pool_client_name=f"{prefix}-app", auth_flows=cognito.AuthFlow(user_srp=True)
        )
        return pool, client
