/**
 * The one Powertools Logger of the handlers. Service name and level come
 * from POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL, set by the construct
 * (or by the local runtime).
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger();
