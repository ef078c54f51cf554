import '../common/sample.css';
import { startCrm } from '../common/crm';

startCrm({
  appId: 'interlog.sample.crm-harbor',
  name: 'Harbor CRM',
  idKey: 'harborId',
  formatId: n => `HB-${String(n).padStart(6, '0')}`,
});
