/** Lit reactive controllers binding a host to the page's shared stream (the elements are built on them). */
export { TopicController, type TopicControllerOptions } from './topic-controller.js';
export { ConnectionController, type ConnectionControllerOptions } from './connection-controller.js';
export { MetricsController, type MetricsControllerOptions } from './metrics-controller.js';
