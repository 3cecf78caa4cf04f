import type {
  AuthResponse,
  CardBody,
  CreateOrderBody,
  CreateOrderResponse,
  LoginBody,
  NotificationsView,
  Order,
  OrderPage,
  OrderStatus,
  PaymentView,
  PayoutAccountBody,
  PayoutAccountView,
  ProfileBody,
  ProgressStatus,
  RatingBody,
  RatingView,
  RegisterBody,
  SagaStartedResponse,
  SagaView,
  TimelineResponse,
  User,
  WalletView,
} from '@campusg/contracts';
import { request } from './http.ts';

/**
 * The typed API client: one function per route of http-api.md, with the request and response
 * types of the shared contracts (`@campusg/contracts`, imported as types only).
 */
export const api = {
  auth: {
    register: (body: RegisterBody) => request<AuthResponse>('POST', '/api/auth/register', { body }),
    login: (body: LoginBody) => request<AuthResponse>('POST', '/api/auth/login', { body }),
    logout: () => request<void>('POST', '/api/auth/logout'),
  },
  me: {
    get: () => request<User>('GET', '/api/me'),
    putCard: (body: CardBody) => request<User>('PUT', '/api/me/card', { body }),
    deleteCard: () => request<void>('DELETE', '/api/me/card'),
    becomeRunner: () => request<User>('POST', '/api/me/runner'),
    patch: (body: ProfileBody) => request<User>('PATCH', '/api/me', { body }),
    payoutAccount: () => request<PayoutAccountView>('GET', '/api/me/payout-account'),
    putPayoutAccount: (body: PayoutAccountBody) => request<PayoutAccountView>('PUT', '/api/me/payout-account', { body }),
  },
  orders: {
    create: (body: CreateOrderBody, idempotencyKey: string) =>
      request<CreateOrderResponse>('POST', '/api/orders', { body, headers: { 'idempotency-key': idempotencyKey } }),
    get: (id: string) => request<Order>('GET', `/api/orders/${encodeURIComponent(id)}`),
    list: (query: { as?: 'customer' | 'runner'; status?: OrderStatus | OrderStatus[]; q?: string; limit?: number; cursor?: string }) =>
      request<OrderPage>('GET', '/api/orders', { query }),
    available: (query: { limit?: number; cursor?: string } = {}) => request<OrderPage>('GET', '/api/orders/available', { query }),
    accept: (id: string) => request<SagaStartedResponse>('POST', `/api/orders/${encodeURIComponent(id)}/accept`),
    progress: (id: string, status: ProgressStatus) =>
      request<Order>('POST', `/api/orders/${encodeURIComponent(id)}/progress`, { body: { status } }),
    complete: (id: string) => request<SagaStartedResponse>('POST', `/api/orders/${encodeURIComponent(id)}/complete`),
    cancel: (id: string) => request<SagaStartedResponse>('POST', `/api/orders/${encodeURIComponent(id)}/cancel`),
    release: (id: string) => request<SagaStartedResponse>('POST', `/api/orders/${encodeURIComponent(id)}/release`),
    rate: (id: string, body: RatingBody) => request<RatingView>('POST', `/api/orders/${encodeURIComponent(id)}/rating`, { body }),
    payment: (id: string) => request<PaymentView>('GET', `/api/orders/${encodeURIComponent(id)}/payment`),
    timeline: (id: string) => request<TimelineResponse>('GET', `/api/orders/${encodeURIComponent(id)}/timeline`),
  },
  sagas: {
    get: (id: string) => request<SagaView>('GET', `/api/sagas/${encodeURIComponent(id)}`),
  },
  wallet: {
    get: () => request<WalletView>('GET', '/api/wallet'),
  },
  notifications: {
    list: () => request<NotificationsView>('GET', '/api/notifications'),
    markRead: (id: string) => request<void>('POST', `/api/notifications/${encodeURIComponent(id)}/read`),
  },
};
