"""Where a function's packets can go, read from a synthesized template alone.

The emulator ignores `VpcConfig`, so nothing at run time tells a function in isolated
subnets that api.telegram.org is out of reach. This module answers it from the
template: a function outside any VPC has Lambda's own internet access; a function in a
VPC reaches
- the internet (IPv4) when every one of its subnets' route tables sends 0.0.0.0/0 to a
  NAT gateway that itself sits in a subnet routing 0.0.0.0/0 to an attached internet
  gateway (or straight to such an internet gateway), and its security groups allow
  HTTPS out to 0.0.0.0/0;
- an AWS service through a gateway endpoint listing all of its route tables, or an
  interface endpoint with private DNS whose security group admits HTTPS from the
  function's groups (its interfaces answer the whole VPC), or, failing both, through
  the internet path above.

Each check returns what is missing, in words, or None when the path exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.infra.cfn import function, of_type, props
from tests.infra.conftest import Synth

INTERNET = "0.0.0.0/0"
HTTPS = 443


def _ref(value) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def service_of(endpoint: dict) -> str:
    """`dynamodb` from com.amazonaws.<region>.dynamodb, however the name is joined."""
    name = props(endpoint)["ServiceName"]
    if isinstance(name, dict):
        name = "".join(p for p in name["Fn::Join"][1] if isinstance(p, str))
    return name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Placement:
    """A function's network placement: None subnets = outside any VPC."""

    name: str
    subnets: tuple[str, ...] | None
    security_groups: tuple[str, ...]


def placement(synth: Synth, name: str) -> Placement:
    vpc = function(synth, name).get("VpcConfig")
    if not vpc:
        return Placement(name, None, ())
    return Placement(
        name, tuple(_ref(s) for s in vpc["SubnetIds"]), tuple(_ref(g) for g in vpc["SecurityGroupIds"])
    )


class Network:
    """The routing facts of one template."""

    def __init__(self, synth: Synth) -> None:
        self.synth = synth
        self.route_table_of = {
            _ref(props(a)["SubnetId"]): _ref(props(a)["RouteTableId"])
            for a in of_type(synth, "AWS::EC2::SubnetRouteTableAssociation").values()
        }
        self.routes: dict[str, list[dict]] = {}
        for route in of_type(synth, "AWS::EC2::Route").values():
            self.routes.setdefault(_ref(props(route)["RouteTableId"]), []).append(props(route))
        self.attached_igws = {
            _ref(props(a)["InternetGatewayId"])
            for a in of_type(synth, "AWS::EC2::VPCGatewayAttachment").values()
            if props(a).get("InternetGatewayId")
        }
        self.nat_subnet = {lid: _ref(props(n)["SubnetId"]) for lid, n in of_type(synth, "AWS::EC2::NatGateway").items()}
        self.endpoints = of_type(synth, "AWS::EC2::VPCEndpoint")

    # ---- the internet -----------------------------------------------------------------
    def _default_route(self, subnet: str) -> dict | None:
        table = self.route_table_of.get(subnet)
        return next((r for r in self.routes.get(table, []) if r.get("DestinationCidrBlock") == INTERNET), None)

    def _to_igw(self, route: dict | None) -> bool:
        return bool(route) and _ref(route.get("GatewayId")) in self.attached_igws

    def internet_gap(self, subnet: str) -> str | None:
        """Why this subnet cannot reach the IPv4 internet, or None."""
        table = self.route_table_of.get(subnet)
        if table is None:
            return f"subnet {subnet} has no route table"
        route = self._default_route(subnet)
        if route is None:
            others = sorted(r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock") or "?"
                            for r in self.routes.get(table, []))
            return (f"subnet {subnet} (route table {table}, routes: {others or 'VPC-local only'}) has no "
                    f"{INTERNET} route to a NAT gateway or internet gateway")
        if self._to_igw(route):
            return None
        nat = _ref(route.get("NatGatewayId"))
        if nat is None:
            return f"subnet {subnet}: {INTERNET} goes to {route}, neither a NAT gateway nor an attached internet gateway"
        if not self._to_igw(self._default_route(self.nat_subnet[nat])):
            return f"NAT gateway {nat} (for subnet {subnet}) sits in a subnet without a route to an internet gateway"
        return None

    # ---- AWS services -------------------------------------------------------------------
    def endpoint_gap(self, where: Placement, service: str) -> str | None:
        """Why no VPC endpoint serves `service` to these subnets, or None."""
        found = [e for e in self.endpoints.values() if service_of(e) == service]
        if not found:
            return f"no VPC endpoint for {service}"
        reasons = []
        for endpoint in found:
            p = props(endpoint)
            if p.get("VpcEndpointType", "Gateway") == "Gateway":
                tables = {_ref(t) for t in p.get("RouteTableIds", [])}
                missing = [s for s in where.subnets if self.route_table_of.get(s) not in tables]
                if missing:
                    reasons.append(f"gateway endpoint for {service} is not on the route tables of {missing}")
                elif not self.https_out(where.security_groups, prefix_list=True):
                    reasons.append(f"security groups {where.security_groups} allow no HTTPS to {service}'s prefix list")
                else:
                    return None
            else:  # its network interfaces answer the whole VPC (local route), whichever subnets they are in
                admitted = any(self.admits_https(_ref(g), where.security_groups) for g in p.get("SecurityGroupIds", []))
                if not p.get("PrivateDnsEnabled"):
                    reasons.append(f"interface endpoint for {service} has private DNS off")
                elif not admitted:
                    reasons.append(f"interface endpoint for {service} does not admit HTTPS from {where.security_groups}")
                else:
                    return None
        return "; ".join(reasons)

    # ---- security groups ----------------------------------------------------------------
    def _egress_rules(self, group: str) -> list[dict]:
        rules = list(props(self.synth.resources[group]).get("SecurityGroupEgress", []))
        rules += [props(r) for r in of_type(self.synth, "AWS::EC2::SecurityGroupEgress").values()
                  if _ref(props(r)["GroupId"]) == group]
        return rules

    def _ingress_rules(self, group: str) -> list[dict]:
        rules = list(props(self.synth.resources[group]).get("SecurityGroupIngress", []))
        rules += [props(r) for r in of_type(self.synth, "AWS::EC2::SecurityGroupIngress").values()
                  if _ref(props(r)["GroupId"]) == group]
        return rules

    @staticmethod
    def _https(rule: dict) -> bool:
        if str(rule.get("IpProtocol")) == "-1":
            return True
        return rule.get("IpProtocol") == "tcp" and rule.get("FromPort", 0) <= HTTPS <= rule.get("ToPort", 65535)

    def https_out(self, groups: tuple[str, ...], prefix_list: bool = False) -> bool:
        """HTTPS allowed out to any IPv4 address (or, with prefix_list, to a prefix list)."""
        return any(
            self._https(r) and (r.get("CidrIp") == INTERNET or (prefix_list and "DestinationPrefixListId" in r))
            for g in groups for r in self._egress_rules(g)
        )

    def admits_https(self, endpoint_group: str, client_groups: tuple[str, ...]) -> bool:
        inbound = any(
            self._https(r) and (r.get("CidrIp") == INTERNET or _ref(r.get("SourceSecurityGroupId")) in client_groups)
            for r in self._ingress_rules(endpoint_group)
        )
        outbound = any(
            self._https(r) and (r.get("CidrIp") == INTERNET or _ref(r.get("DestinationSecurityGroupId")) == endpoint_group)
            for g in client_groups for r in self._egress_rules(g)
        )
        return inbound and outbound

    # ---- a function ---------------------------------------------------------------------
    def host_gap(self, where: Placement, host: str) -> str | None:
        """Why the function cannot reach a host on the internet, or None."""
        if where.subnets is None:
            return None  # outside a VPC: Lambda's own network reaches the internet
        gaps = [g for g in (self.internet_gap(s) for s in where.subnets) if g]
        if not gaps and not self.https_out(where.security_groups):
            gaps.append(f"security groups {where.security_groups} allow no HTTPS out to {INTERNET}")
        return "; ".join(gaps) or None

    def service_gap(self, where: Placement, service: str) -> str | None:
        """Why the function cannot reach an AWS service's API, or None."""
        if where.subnets is None:
            return None
        via_endpoint = self.endpoint_gap(where, service)
        if via_endpoint is None:
            return None
        via_internet = self.host_gap(where, f"{service}.amazonaws.com")
        if via_internet is None:
            return None
        return f"{via_endpoint}; and no internet path: {via_internet}"
