import { analyticsService } from '@campusg/analytics-service';
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
