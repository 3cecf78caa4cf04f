/**
 * Test fixtures shared by the cross-service suites. The sample order is the one the load
 * generator and the benchmark post too (`@campusg/journeys`), so every suite orders the same thing.
 */
export { DELIVERY_STEPS, SANDBOX_CARDS, sampleOrderBody } from '@campusg/journeys';
