"""The loans API (DRF), one view per operation: an officer serving a borrower in person
applies and draws for them (channel 网点, verified in person) — another officer or the branch
manager approves what an officer entered — and signs only with the signing code the borrower
received on their own phone (``sign-code/``, then ``sign/``); staff record repayments;
anyone signed in reads what their scope holds. Every money-moving request needs an
``Idempotency-Key`` header: a retry with the same key returns the first result (200,
``Idempotent-Replayed: true``); the same key with another body is a 409. Refusals use the
``{"errors": {...}, "code": ...}`` body of ``fuxiang.api``; outside one's scope is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fuxiang import api_examples as ex
from fuxiang.accounts import roles
from fuxiang.api import DetailSerializer, ErrorSerializer, domain_error_response, path_id
from fuxiang.audit import AuditContext
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from households.selectors import business_entities_visible_to, households_visible_to
from loans import ledger_selectors as selectors
from loans.applications import application_submit
from loans.contracts import contract_sign
from loans.drawdowns import drawdown_create
from loans.models import Channel, LoanProduct, LoanProductVersion, RepaymentChannel, VersionStatus
from loans.repayments import repayment_record
from loans.serializers import (
    ApplicationInputSerializer,
    ApplicationSerializer,
    ContractSerializer,
    DrawdownInputSerializer,
    DrawdownSerializer,
    LoanSerializer,
    ProductSerializer,
    RepaymentInputSerializer,
    RepaymentSerializer,
    SigningCodeSerializer,
    SignInputSerializer,
)
from loans.signing import signing_code_confirm, signing_code_send
from loans.verification import Verification

IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=True,
    pattern=r"^[A-Za-z0-9_.:-]{8,100}$",
    description="8–100 个字母、数字或 _ . : -；同一请求重试时使用同一个键，新请求使用新键。",
)
REPLAY = OpenApiResponse(
    description="重试：返回第一次请求的结果（响应头 Idempotent-Replayed: true）"
)
ERRORS: dict[int | str, Any] = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="请求被拒绝：按字段给出中文原因",
        examples=[
            OpenApiExample(
                "金额超出范围",
                value={
                    "errors": {
                        "amount": [
                            "申请金额须在50,000元至500,000元之间（福祥e贷的金额范围），您填写的是600,000元"
                        ]
                    },
                    "code": "invalid",
                },
            ),
            OpenApiExample(
                "超过可用额度",
                value={
                    "errors": {"amount": ["放款金额30,000元超过合同可用金额20,000元"]},
                    "code": "above_available",
                },
            ),
        ],
    ),
    403: OpenApiResponse(ErrorSerializer, description="角色无权办理"),
    404: OpenApiResponse(DetailSerializer, description="不存在或不在您的权限范围内"),
    409: OpenApiResponse(
        ErrorSerializer,
        description="同一幂等键已用于内容不同的请求",
        examples=[
            OpenApiExample(
                "幂等键被重用",
                value={
                    "errors": {
                        "idempotency_key": [
                            "该幂等键已用于另一笔内容不同的请求，请为新请求使用新的键"
                        ]
                    },
                    "code": "idempotency_key_reused",
                },
            )
        ],
    ),
}


APPLICATION_ID = path_id("申请", ex.APPLICATION_ID)
CONTRACT_ID = path_id("合同", ex.CONTRACT_ID)
LOAN_ID = path_id("借据", ex.LOAN_ID)


def _key(request: Request) -> str:
    return request.headers.get("Idempotency-Key", "")


def _officer_in_person(request: Request, reference: str = "") -> Verification:
    if not roles.can_serve_borrowers(request.user):
        raise PermissionDenied("只有客户经理可以代客户办理贷款")
    return Verification.from_request(
        request,
        channel=Channel.BRANCH,
        method="in_person",
        verified_at=timezone.now(),
        reference=reference,
    )


def _borrower_code(request: Request, application: Any) -> Verification:
    """The household borrower's confirmation at the branch: the signing code sent to their
    own phone, which they read to the officer."""
    if not roles.can_serve_borrowers(request.user):
        raise PermissionDenied("只有客户经理可以代客户办理贷款")
    data = SignInputSerializer(data=request.data)
    if not data.is_valid():
        raise DomainError(
            {field: [str(m) for m in messages] for field, messages in data.errors.items()},
            code="invalid",
        )
    row = signing_code_confirm(
        application=application,
        code_id=data.validated_data["code_id"],
        code=data.validated_data["code"],
    )
    return Verification.from_request(
        request,
        channel=Channel.BRANCH,
        method="sms",
        verified_at=timezone.now(),
        reference=row.pk,
        member_id=row.member_id,
    )


def _created(obj: Any, serializer: Any) -> Response:
    if getattr(obj, "replayed", False):
        return Response(serializer(obj).data, headers={"Idempotent-Replayed": "true"})
    return Response(serializer(obj).data, status=status.HTTP_201_CREATED)


def _refusal(error: DomainError) -> Response:
    response = domain_error_response(error)
    if error.code == "idempotency_key_reused":
        response.status_code = status.HTTP_409_CONFLICT
    return response


def _get(queryset: QuerySet[Any], pk: int) -> Any:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


class ProductListApi(ListAPIView):
    """The products in force and what each offers."""

    serializer_class = ProductSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[LoanProductVersion]:
        return LoanProductVersion.objects.filter(status=VersionStatus.APPROVED).select_related(
            "product"
        )


APPLICATION_EXAMPLE = OpenApiExample(
    "福祥e贷随借随还",
    request_only=True,
    value={
        "household": ex.HOUSEHOLD_ID,
        "product": "fuxiang_e_loan",
        "amount": "100000.00",
        "term_months": 12,
        "repayment_method": "revolving",
        "purpose": "购买化肥种子",
    },
)


class ApplicationCreateApi(APIView):
    @extend_schema(
        summary="代客户申请贷款（客户经理当面核实）",
        parameters=[IDEMPOTENCY_KEY],
        request=ApplicationInputSerializer,
        responses={201: ApplicationSerializer, 200: REPLAY, **ERRORS},
        examples=[APPLICATION_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        data = ApplicationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            verification = _officer_in_person(request)
            if values.get("household"):
                subject = _get(households_visible_to(request.user), values["household"])
            else:
                subject = _get(business_entities_visible_to(request.user), values["entity"])
            product = LoanProduct.objects.filter(code=values["product"]).first()
            if product is None:
                raise DomainError({"product": "产品代码不存在"})
            application = application_submit(
                subject=subject,
                product=product,
                amount=values["amount"],
                term_months=values["term_months"],
                repayment_method=values["repayment_method"],
                purpose=values["purpose"],
                collateral_value=values.get("collateral_value"),
                collateral_description=values.get("collateral_description", ""),
                verification=verification,
                idempotency_key=_key(request),
                actor=request.user,
                audit=AuditContext.from_request(request),
            )
        except DomainError as error:
            return _refusal(error)
        return _created(application, ApplicationSerializer)


class ApplicationDetailApi(APIView):
    @extend_schema(
        parameters=[APPLICATION_ID], responses={200: ApplicationSerializer, 404: DetailSerializer}
    )
    def get(self, request: Request, pk: int) -> Response:
        application = _get(selectors.applications_visible_to(request.user), pk)
        return Response(ApplicationSerializer(application).data)


class SigningCodeApi(APIView):
    @extend_schema(
        summary="发送签约验证码（短信发至借款人本人登记的手机，写明金额、期限、利率）",
        parameters=[APPLICATION_ID],
        request=None,
        responses={201: SigningCodeSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        try:
            application = _get(selectors.applications_visible_to(request.user), pk)
            row = signing_code_send(
                application=application, channel=Channel.BRANCH, actor=request.user
            )
        except DomainError as error:
            return _refusal(error)
        return Response(SigningCodeSerializer(row).data, status=status.HTTP_201_CREATED)


class ContractSignApi(APIView):
    @extend_schema(
        summary="签约：农户须提供本人手机收到的签约验证码（经营主体由客户经理当面核实）",
        parameters=[APPLICATION_ID, IDEMPOTENCY_KEY],
        request=SignInputSerializer,
        responses={201: ContractSerializer, 200: REPLAY, **ERRORS},
        examples=[
            OpenApiExample(
                "借款人读出短信中的验证码",
                request_only=True,
                value={"code_id": ex.SIGNING_CODE_ID, "code": ex.SIGNING_CODE},
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        try:
            application = _get(selectors.applications_visible_to(request.user), pk)
            if application.household_id is not None:
                verification = _borrower_code(request, application)
            else:
                verification = _officer_in_person(request, reference=f"in_person:{pk}")
            contract = contract_sign(
                application=application,
                verification=verification,
                idempotency_key=_key(request),
                audit=AuditContext.from_request(request),
            )
        except DomainError as error:
            return _refusal(error)
        return _created(contract, ContractSerializer)


class DrawdownCreateApi(APIView):
    @extend_schema(
        summary="放款",
        parameters=[CONTRACT_ID, IDEMPOTENCY_KEY],
        request=DrawdownInputSerializer,
        responses={201: DrawdownSerializer, 200: REPLAY, **ERRORS},
        examples=[OpenApiExample("提款3万元", request_only=True, value={"amount": "30000.00"})],
    )
    def post(self, request: Request, pk: int) -> Response:
        data = DrawdownInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            contract = _get(selectors.contracts_visible_to(request.user), pk)
            drawdown = drawdown_create(
                contract=contract,
                amount=data.validated_data["amount"],
                verification=_officer_in_person(request),
                idempotency_key=_key(request),
                audit=AuditContext.from_request(request),
            )
        except DomainError as error:
            return _refusal(error)
        return _created(drawdown, DrawdownSerializer)


class RepaymentCreateApi(APIView):
    @extend_schema(
        summary="柜面还款入账",
        parameters=[LOAN_ID, IDEMPOTENCY_KEY],
        request=RepaymentInputSerializer,
        responses={201: RepaymentSerializer, 200: REPLAY, **ERRORS},
        examples=[
            OpenApiExample(
                "还款",
                request_only=True,
                value={"amount": "5000.00", "reference": "GM20261201001"},
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        data = RepaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            loan = _get(selectors.loans_visible_to(request.user), pk)
            repayment = repayment_record(
                loan=loan,
                amount=data.validated_data["amount"],
                paid_on=data.validated_data.get("paid_on"),
                channel=RepaymentChannel.STAFF,
                reference=data.validated_data.get("reference", ""),
                idempotency_key=_key(request),
                actor=request.user,
                audit=AuditContext.from_request(request),
            )
        except DomainError as error:
            return _refusal(error)
        return _created(repayment, RepaymentSerializer)


class LoanDetailApi(APIView):
    @extend_schema(parameters=[LOAN_ID], responses={200: LoanSerializer, 404: DetailSerializer})
    def get(self, request: Request, pk: int) -> Response:
        loan = _get(selectors.loans_visible_to(request.user).prefetch_related("instalments"), pk)
        return Response(LoanSerializer(loan).data)
