"""The archive API (DRF). Thin like the back-office views: permission, serializer, service,
response. Every queryset comes from ``households.selectors``, so an id outside the user's scope
is a 404, exactly like an id that does not exist; refusals are rendered by
``fuxiang.api.exception_handler``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fuxiang import api_examples as ex
from fuxiang.accounts import roles
from fuxiang.api import DetailSerializer, ErrorSerializer, domain_error_response, path_id
from fuxiang.audit import AuditContext
from fuxiang.errors import DomainError, NotFound
from households import selectors, services
from households.models import BusinessEntity, Household, Visit
from households.serializers import (
    BusinessEntityFilterSerializer,
    BusinessEntityInputSerializer,
    BusinessEntitySerializer,
    GridSerializer,
    HouseholdCreateSerializer,
    HouseholdFilterSerializer,
    HouseholdListItemSerializer,
    HouseholdSerializer,
    HouseholdUpdateSerializer,
    MemberInputSerializer,
    MemberSerializer,
    RevealedPersonSerializer,
    VillageSerializer,
    VisitFilterSerializer,
    VisitInputSerializer,
    VisitSerializer,
)

HOUSEHOLD_ID = path_id("农户", ex.HOUSEHOLD_ID)
MEMBER_ID = path_id("成员", ex.MEMBER_ID)
ENTITY_ID = path_id("经营主体", ex.ENTITY_ID)

HOUSEHOLD_EXAMPLE = OpenApiExample(
    "新建农户（户主刘建军）",
    request_only=True,
    value={
        "village": ex.VILLAGE_ID,
        "address": "罗家坪村三组15号",
        "house_ownership": "owned",
        "house_value": "280000.00",
        "land_contracted_mu": "8.50",
        "deposits": "60000.00",
        "income_crops": "45000.00",
        "income_wages": "36000.00",
        "annual_costs": "18000.00",
        "rating_consent": True,
        "head": {
            "name": "刘建军",
            "id_number": ex.NEW_HEAD_ID_NUMBER,
            "phone": "13907331234",
            "occupation": "种植户",
        },
    },
)
MEMBER_EXAMPLE = OpenApiExample(
    "登记配偶",
    request_only=True,
    value={
        "relation": "spouse",
        "name": "陈秀英",
        "id_number": ex.SPOUSE_ID_NUMBER,
        "phone": "13807332345",
    },
)
MEMBER_PATCH_EXAMPLE = OpenApiExample(
    "修改职业", request_only=True, value={"occupation": "养殖户", "is_public_employee": False}
)
HOUSEHOLD_PATCH_EXAMPLE = OpenApiExample(
    "修改住址与存款",
    request_only=True,
    value={"address": "罗家坪村三组16号", "deposits": "80000.00"},
)
ENTITY_EXAMPLE = OpenApiExample(
    "登记个体工商户",
    request_only=True,
    value={
        "kind": "individual_business",
        "name": "罗家坪农资店",
        "uscc": ex.ENTITY_USCC,
        "legal_rep_name": "刘建国",
        "legal_rep_id_number": ex.LEGAL_REP_ID_NUMBER,
        "village": ex.VILLAGE_ID,
        "industry": "批发零售",
        "years_operating": 6,
        "annual_revenue": "850000.00",
        "total_assets": "420000.00",
        "total_liabilities": "90000.00",
        "current_liabilities": "60000.00",
        "owner_households": [ex.HOUSEHOLD_ID],
    },
)
ENTITY_PATCH_EXAMPLE = OpenApiExample(
    "修改年销售收入", request_only=True, value={"annual_revenue": "900000.00", "employees": 3}
)
VISIT_EXAMPLE = OpenApiExample(
    "入户走访",
    request_only=True,
    value={
        "household": ex.HOUSEHOLD_ID,
        "visited_at": "2026-12-05T10:30:00+08:00",
        "place": "罗家坪村三组15号",
        "met_person": "户主",
        "outcome": "updated",
        "notes": "核实种植面积与存款",
    },
)

READ_ERRORS = {404: DetailSerializer}
REVEAL_ERRORS = {403: DetailSerializer, 404: DetailSerializer}
WRITE_ERRORS = {400: ErrorSerializer, 403: DetailSerializer, 404: DetailSerializer}

# Errors about the head member's own fields, which the API nests under "head" on creation.
HEAD_ERROR_KEYS = frozenset({*services.MEMBER_FIELDS, "id_number", "phone"})


class EditsArchives(BasePermission):
    """Anyone signed in may read (the selectors scope what); only editors may write."""

    message = "您的角色只能查看档案，不能修改"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or roles.can_edit_archives(request.user)


class RecordsVisits(BasePermission):
    message = "只有客户经理可以登记走访"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or roles.can_record_visit(request.user)


def _get(queryset: QuerySet[Any], pk: int) -> Any:
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist as exc:
        raise NotFound() from exc


def _household(user: Any, pk: int) -> Household:
    try:
        return selectors.household_detail(user=user, household_id=pk)
    except Household.DoesNotExist as exc:
        raise NotFound() from exc


def _filters(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _input(serializer_class: type, request: Request, *, partial: bool = False) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, partial=partial, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _revealed(person: services.RevealedPerson) -> Response:
    # Unmasked personal data must not linger in a browser or proxy cache.
    return Response(RevealedPersonSerializer(person).data, headers={"Cache-Control": "no-store"})


# --- households and members -------------------------------------------------------------------


@extend_schema_view(get=extend_schema(parameters=[HouseholdFilterSerializer]))
class HouseholdListCreateApi(ListAPIView):
    permission_classes = [IsAuthenticated, EditsArchives]
    serializer_class = HouseholdListItemSerializer

    def get_queryset(self) -> QuerySet[Household]:
        """The filtered ids, newest change first; ``list`` reads the rows of the page only."""
        filters = _filters(HouseholdFilterSerializer, self.request)
        return selectors.households_filtered(
            user=self.request.user,
            name=filters.get("name", ""),
            id_suffix=filters.get("id_suffix", ""),
            village_id=filters.get("village"),
            status=filters.get("status", ""),
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ids = self.paginate_queryset(self.get_queryset().values_list("pk", flat=True))
        rows = selectors.household_rows(list(ids or []))
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    @extend_schema(
        request=HouseholdCreateSerializer,
        responses={201: HouseholdSerializer, **WRITE_ERRORS},
        examples=[HOUSEHOLD_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        fields = _input(HouseholdCreateSerializer, request)
        village, head = fields.pop("village"), fields.pop("head")
        try:
            household = services.household_create(
                actor=request.user,
                village=village,
                head=head,
                fields=fields,
                audit=AuditContext.from_request(request),
            )
        except DomainError as error:
            return domain_error_response(error, errors=_head_errors_nested(error.errors))
        body = HouseholdSerializer(_household(request.user, household.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


def _head_errors_nested(errors: dict[str, list[str]]) -> dict[str, Any]:
    """Put the service's errors about the head where the request had them: under "head"."""
    head = {k: v for k, v in errors.items() if k in HEAD_ERROR_KEYS}
    if not head:
        return errors
    return {**{k: v for k, v in errors.items() if k not in HEAD_ERROR_KEYS}, "head": head}


class HouseholdDetailApi(APIView):
    permission_classes = [IsAuthenticated, EditsArchives]

    @extend_schema(parameters=[HOUSEHOLD_ID], responses={200: HouseholdSerializer, **READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(HouseholdSerializer(_household(request.user, pk)).data)

    @extend_schema(
        parameters=[HOUSEHOLD_ID],
        request=HouseholdUpdateSerializer,
        responses={200: HouseholdSerializer, **WRITE_ERRORS},
        examples=[HOUSEHOLD_PATCH_EXAMPLE],
    )
    def patch(self, request: Request, pk: int) -> Response:
        household = _get(selectors.households_editable_by(request.user), pk)
        fields = _input(HouseholdUpdateSerializer, request, partial=True)
        village = fields.pop("village", None)
        services.household_update(
            actor=request.user,
            household=household,
            fields=fields,
            village=village,
            audit=AuditContext.from_request(request),
        )
        return Response(HouseholdSerializer(_household(request.user, pk)).data)


class HouseholdMemberCreateApi(APIView):
    permission_classes = [IsAuthenticated, EditsArchives]

    @extend_schema(
        parameters=[HOUSEHOLD_ID],
        request=MemberInputSerializer,
        responses={201: MemberSerializer, **WRITE_ERRORS},
        examples=[MEMBER_EXAMPLE],
    )
    def post(self, request: Request, pk: int) -> Response:
        household = _get(selectors.households_editable_by(request.user), pk)
        member = services.member_create(
            actor=request.user,
            household=household,
            fields=_input(MemberInputSerializer, request),
            audit=AuditContext.from_request(request),
        )
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)


class MemberUpdateApi(APIView):
    permission_classes = [IsAuthenticated, EditsArchives]

    @extend_schema(
        parameters=[MEMBER_ID],
        request=MemberInputSerializer,
        responses={200: MemberSerializer, **WRITE_ERRORS},
        examples=[MEMBER_PATCH_EXAMPLE],
    )
    def patch(self, request: Request, pk: int) -> Response:
        member = _get(selectors.members_editable_by(request.user), pk)
        member = services.member_update(
            actor=request.user,
            member=member,
            fields=_input(MemberInputSerializer, request, partial=True),
            audit=AuditContext.from_request(request),
        )
        return Response(MemberSerializer(member).data)


class MemberRevealApi(APIView):
    """Any signed-in user may ask; the service refuses roles without the right (403)."""

    @extend_schema(
        parameters=[MEMBER_ID],
        request=None,
        responses={200: RevealedPersonSerializer, **REVEAL_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        return _revealed(
            services.member_reveal(
                actor=request.user, member_id=pk, audit=AuditContext.from_request(request)
            )
        )


# --- business entities ------------------------------------------------------------------------


@extend_schema_view(get=extend_schema(parameters=[BusinessEntityFilterSerializer]))
class BusinessEntityListCreateApi(ListAPIView):
    permission_classes = [IsAuthenticated, EditsArchives]
    serializer_class = BusinessEntitySerializer

    def get_queryset(self) -> QuerySet[BusinessEntity]:
        filters = _filters(BusinessEntityFilterSerializer, self.request)
        entities = selectors.business_entities_visible_to(self.request.user)
        if filters.get("category"):
            entities = entities.filter(category=filters["category"])
        if q := filters.get("q", "").strip():
            entities = entities.filter(Q(name__contains=q) | Q(uscc=q.upper()))
        return entities.prefetch_related("owner_households")

    @extend_schema(
        request=BusinessEntityInputSerializer,
        responses={201: BusinessEntitySerializer, **WRITE_ERRORS},
        examples=[ENTITY_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        fields = _input(BusinessEntityInputSerializer, request)
        owners = fields.pop("owner_households", ())
        entity = services.business_entity_create(
            actor=request.user,
            fields=fields,
            owner_households=owners,
            audit=AuditContext.from_request(request),
        )
        return Response(BusinessEntitySerializer(entity).data, status=status.HTTP_201_CREATED)


class BusinessEntityDetailApi(APIView):
    permission_classes = [IsAuthenticated, EditsArchives]

    @extend_schema(parameters=[ENTITY_ID], responses={200: BusinessEntitySerializer, **READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        entities = selectors.business_entities_visible_to(request.user)
        entity = _get(entities.prefetch_related("owner_households"), pk)
        return Response(BusinessEntitySerializer(entity).data)

    @extend_schema(
        parameters=[ENTITY_ID],
        request=BusinessEntityInputSerializer,
        responses={200: BusinessEntitySerializer, **WRITE_ERRORS},
        examples=[ENTITY_PATCH_EXAMPLE],
    )
    def patch(self, request: Request, pk: int) -> Response:
        entity = _get(selectors.business_entities_editable_by(request.user), pk)
        fields = _input(BusinessEntityInputSerializer, request, partial=True)
        owners = fields.pop("owner_households", None)  # None: leave the owners as they are
        entity = services.business_entity_update(
            actor=request.user,
            entity=entity,
            fields=fields,
            owner_households=owners,
            audit=AuditContext.from_request(request),
        )
        return Response(BusinessEntitySerializer(entity).data)


class BusinessEntityRevealApi(APIView):
    """The legal representative's name and ID; refused (403) to roles without the right."""

    @extend_schema(
        parameters=[ENTITY_ID],
        request=None,
        responses={200: RevealedPersonSerializer, **REVEAL_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        return _revealed(
            services.legal_rep_reveal(
                actor=request.user, entity_id=pk, audit=AuditContext.from_request(request)
            )
        )


# --- visits -----------------------------------------------------------------------------------


@extend_schema_view(get=extend_schema(parameters=[VisitFilterSerializer]))
class VisitListCreateApi(ListAPIView):
    permission_classes = [IsAuthenticated, RecordsVisits]
    serializer_class = VisitSerializer
    # a visit may carry a photo (multipart/form-data); JSON otherwise
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[Visit]:
        filters = _filters(VisitFilterSerializer, self.request)
        user = self.request.user
        visits = selectors.visits_visible_to(user).order_by(
            *selectors.newest_first(user, "visited_at")
        )
        if "household" in filters:
            visits = visits.filter(household_id=filters["household"])
        if "business_entity" in filters:
            visits = visits.filter(business_entity_id=filters["business_entity"])
        return visits

    @extend_schema(
        request=VisitInputSerializer,
        responses={201: VisitSerializer, **WRITE_ERRORS},
        examples=[VISIT_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        fields = _input(VisitInputSerializer, request)
        subject = {"household": fields.pop("household", None)}
        subject["business_entity"] = fields.pop("business_entity", None)
        visit = services.visit_create(
            actor=request.user, fields=fields, audit=AuditContext.from_request(request), **subject
        )
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)


# --- organisation (read-only) -----------------------------------------------------------------


class VillageListApi(ListAPIView):
    serializer_class = VillageSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.villages_visible_to(self.request.user)


class GridListApi(ListAPIView):
    serializer_class = GridSerializer

    def get_queryset(self) -> QuerySet[Any]:
        user = self.request.user
        villages = Prefetch("villages", queryset=selectors.villages_visible_to(user))
        return selectors.grids_visible_to(user).prefetch_related(villages)
