import '../common/sample.css';
import { startCrm } from '../common/crm';

startCrm({
  appId: 'interlog.sample.crm-summit',
  name: 'Summit CRM',
  idKey: 'URI',
  formatId: n => `summit://interactions/${n}`,
});
