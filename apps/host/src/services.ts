import { analyticsService } from '@campusg/analytics-service';
import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import type { HostedServiceName, ServiceModule } from '@campusg/messaging';
import { notificationService } from '@campusg/notification-service';
import { orderService } from '@campusg/order-service';
import { paymentService } from '@campusg/payment-service';
import { sagasService } from '@campusg/sagas';
import { timerService } from '@campusg/timer-service';
import { userService } from '@campusg/user-service';

/**
 * Every service of the platform, the one list hosts and the gateway loop over. In this order they
 * migrate, register their routes and start (the orchestrators last, once the services answer).
 */
export const SERVICES: readonly ServiceModule[] = [
  orderService,
  userService,
  paymentService,
  timerService,
  notificationService,
  analyticsService,
  sagasService,
];

export type PlatformService = HostedServiceName;
export const PLATFORM_SERVICES: PlatformService[] = SERVICES.map((s) => s.name);

const GROUP_NAMES = Object.keys(GROUP_TOPICS);

/** The consumer groups a service runs (a group is named after its service, or is one of the orchestrators' or views'). */
export function groupsOf(service: ServiceModule): string[] {
  return GROUP_NAMES.filter(
    (g) =>
      g === service.source ||
      (service.name === 'sagas' && (g.endsWith('-saga-orchestrator') || g === GROUPS.sagaOrderView)) ||
      (service.name === 'payment' && g === GROUPS.paymentOrderView),
  );
}
